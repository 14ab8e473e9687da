"""ISO 3166-1 alpha-2 country codes and their names in the page's language (from Babel's CLDR data)."""
from babel import Locale

# CLDR territories that are not ISO 3166-1 countries.
_NOT_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
COUNTRY_CODES = frozenset(
    code for code in Locale("en").territories if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)


def is_country(code):
    return isinstance(code, str) and code.upper() in COUNTRY_CODES


def country_name(code, lang="en"):
    if not code:
        return ""
    return Locale.parse(lang).territories.get(code.upper(), code.upper())


def country_choices(lang="en"):
    """(code, name) pairs sorted by name in `lang`, for select boxes."""
    names = Locale.parse(lang).territories
    return sorted(((c, names.get(c, c)) for c in COUNTRY_CODES), key=lambda pair: pair[1])
