"""Forecast -> city AQI -> tonnes to cut per slot and pollutant."""
