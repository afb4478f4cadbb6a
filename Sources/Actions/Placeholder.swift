enum _PlaceholderActions {}
