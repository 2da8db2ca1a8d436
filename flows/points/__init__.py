"""Points: the double-entry ledger (the only way points move) and each community's points
supermarket (the only way stock moves), with the reads their pages show."""
