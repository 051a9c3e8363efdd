"""`ptref-tutor bench`: how fast the tutor answers, next to its peers, measured in one run."""
