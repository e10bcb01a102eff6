"""Speed, scale and quality benchmarks (see RESULTS.md)."""
