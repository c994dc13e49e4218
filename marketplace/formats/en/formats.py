"""English date formats as Wareshare has always shown them ("7 Mar 2025, 14:30"), not Django's US
defaults. Templates name the format (``|date:"DATE_FORMAT"``), so each language shows its own."""

DATE_FORMAT = "j M Y"  # 7 Mar 2025
DATETIME_FORMAT = "j M Y, H:i"  # 7 Mar 2025, 14:30
MONTH_DAY_FORMAT = "j M"  # 7 Mar
YEAR_MONTH_FORMAT = "F Y"  # March 2025
SHORT_DATETIME_FORMAT = "j M, H:i"  # 7 Mar, 14:30
