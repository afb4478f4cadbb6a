enum _PlaceholderSigV4 {}
