"""Simplified Chinese: Django's formats, with grouped amounts (1,234.50, as on Chinese invoices
and shop fronts) and a short date-time without the year, like the English one."""

MONTH_DAY_FORMAT = "n月j日"  # 3月7日
SHORT_DATETIME_FORMAT = "n月j日 H:i"  # 3月7日 14:30
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
