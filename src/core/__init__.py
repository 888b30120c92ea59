"""One generation: ask the personas, apply edits, measure, decide, merge or reject, record."""
