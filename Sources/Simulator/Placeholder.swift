enum _PlaceholderSimulator {}
