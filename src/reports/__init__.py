"""Generation reports: the one writer, readers, text views and dashboards."""
