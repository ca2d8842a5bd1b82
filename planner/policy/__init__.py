"""Policy as data: vocabularies, measures, alert rules, AQI."""
