enum _PlaceholderMQTT {}
