"""Subject notification: the people a breach affected, imported from a CSV, and the mail each gets once."""
