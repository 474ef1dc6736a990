"""Pure strangle rules: no I/O, no clock reads, no database. Inputs in, decisions out."""
