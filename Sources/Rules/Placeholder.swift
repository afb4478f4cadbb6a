enum _PlaceholderRules {}
