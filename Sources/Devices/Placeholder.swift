enum _PlaceholderDevices {}
