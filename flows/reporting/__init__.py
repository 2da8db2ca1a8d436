"""The programme's figures: running tallies kept by the transactions that change what they
count, and the figures the dashboard reads from them."""
