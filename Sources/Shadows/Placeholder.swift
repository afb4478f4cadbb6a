enum _PlaceholderShadows {}
