"""What may be written and what may be merged: validator, anti-gaming, Cedar, the decision."""
