"""Modal screens: help, device picker, confirmations."""
