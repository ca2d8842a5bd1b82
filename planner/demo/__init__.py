"""The synthetic demo city and its forecast."""
