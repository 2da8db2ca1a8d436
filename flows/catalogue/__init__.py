"""What residents browse: news, the directory of nearby enterprises and merchants, and the
appointment services they can book."""
