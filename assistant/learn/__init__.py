"""What the offline rebuild learns from the question bank: the query adapter and the classifiers."""
