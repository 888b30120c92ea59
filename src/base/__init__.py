"""The bottom floor: config, errors, models, secrets, logging, the store, the subprocess runner."""
