enum _PlaceholderBroker {}
