"""The generation loop and everything it decides with."""
