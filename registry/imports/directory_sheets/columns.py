"""The columns of the institution and organization sheets: what each is called in a
file (its label in every language, its synonyms), what to write in it, and an
example. The columns both sheets have are made by one function each."""

from django.utils.translation import gettext_lazy

from ..sheets import Column

ALIASES_HELP = gettext_lazy(
    "Other names, separated by ;. Names the record lacks are added; an import never "
    "removes one (remove it in the admin)."
)
IDENTIFIER_HELP = gettext_lazy(
    "Several separated by ;. Added when the institution lacks them; an import never "
    "removes one (a merged institution keeps its predecessors' codes)."
)
SLUG_HELP = gettext_lazy(
    "Blank for a new record (the registry makes one from the name); an existing slug "
    "updates that record."
)
COUNTRY_HELP = gettext_lazy(
    "US or JP; United States, Japan, 米国 and 日本 are read too."
)


def _slug(id_synonym: str, example: str) -> Column:
    return Column(
        "slug",
        gettext_lazy("Slug"),
        ("id", id_synonym, "registry id", "registry slug"),
        SLUG_HELP,
        example,
    )


def _name(synonyms: tuple[str, ...], example: str) -> Column:
    return Column(
        "name",
        gettext_lazy("Name"),
        ("name (english)", "english name", "name en", *synonyms),
        gettext_lazy("The English name; required."),
        example,
    )


def _name_ja(synonyms: tuple[str, ...], example: str) -> Column:
    return Column(
        "name_ja",
        gettext_lazy("Name (Japanese)"),
        ("japanese name", "name japanese", *synonyms),
        example=example,
    )


def _country(help_text) -> Column:
    return Column(
        "country",
        gettext_lazy("Country"),
        ("country code", "国", "国名"),
        help_text,
        "JP",
    )


def _website(example: str) -> Column:
    return Column(
        "website",
        gettext_lazy("Website"),
        ("url", "web site", "homepage", "home page", "ウェブサイト", "ホームページ"),
        example=example,
    )


def _aliases(example: str) -> Column:
    return Column(
        "aliases",
        gettext_lazy("Aliases"),
        ("alias", "other names", "also known as", "aka", "acronyms", "別名", "略称"),
        ALIASES_HELP,
        example,
    )


INSTITUTION_COLUMNS = [
    _slug("institution id", "tohoku-university"),
    _name(
        ("institution", "institution name", "university", "university name"),
        "Tohoku University",
    ),
    _name_ja(("大学名", "機関名", "学校名", "名称"), "東北大学"),
    _country(COUNTRY_HELP),
    Column(
        "institution_type",
        gettext_lazy("Type"),
        ("institution type", "control", "設置者", "設置区分", "種別"),
        gettext_lazy(
            "us_public, us_private_nonprofit, us_private_for_profit, jp_national, "
            "jp_public, jp_private or jp_inter_university; with the country, public, "
            "private, national, 国立, 公立 or 私立 are read too."
        ),
        "jp_national",
    ),
    Column(
        "parent",
        gettext_lazy("Parent system"),
        ("parent", "system", "parent institution", "parent slug"),
        gettext_lazy(
            "The system a campus belongs to: its slug or name, in the registry or a "
            "row of this file."
        ),
    ),
    Column(
        "region",
        gettext_lazy("State or prefecture"),
        ("state", "prefecture", "region", "state code", "都道府県", "州"),
        gettext_lazy(
            "A state's USPS code (CA) or name; a prefecture's name or JIS code "
            "(Miyagi, 宮城県, 04)."
        ),
        "Miyagi",
    ),
    Column("city", gettext_lazy("City"), ("town", "市区町村"), example="Sendai"),
    _website("https://www.tohoku.ac.jp/"),
    Column("latitude", gettext_lazy("Latitude"), ("lat", "緯度"), example="38.2541"),
    Column(
        "longitude",
        gettext_lazy("Longitude"),
        ("lon", "lng", "long", "経度"),
        example="140.8739",
    ),
    Column(
        "ror_id",
        gettext_lazy("ROR ID"),
        ("ror", "ror identifier"),
        IDENTIFIER_HELP,
        "01dq60k83",
    ),
    Column(
        "ipeds_id",
        gettext_lazy("IPEDS UNITID"),
        ("ipeds", "unitid", "ipeds id", "unit id"),
        IDENTIFIER_HELP,
        "166027",
    ),
    Column(
        "mext_code",
        gettext_lazy("MEXT school code"),
        ("mext", "mext id", "school code", "学校コード"),
        IDENTIFIER_HELP,
        "F104110100856",
    ),
    Column(
        "research_classification",
        gettext_lazy("Research classification"),
        ("carnegie", "carnegie classification", "classification"),
        gettext_lazy(
            "U.S. only: r1, r2, d_pu, masters, baccalaureate, associate, "
            "special_focus or tribal."
        ),
    ),
    Column(
        "enrollment_band",
        gettext_lazy("Enrollment"),
        ("enrollment band", "size", "students"),
        gettext_lazy("under_1000, 1000_4999, 5000_9999, 10000_19999 or 20000_plus."),
    ),
    _aliases("Tohokudai; 東北大"),
]

ORGANIZATION_COLUMNS = [
    _slug("organization id", "japan-society-for-the-promotion-of-science"),
    _name(
        ("organization", "organisation", "organization name"),
        "Japan Society for the Promotion of Science",
    ),
    _name_ja(("機関名", "名称"), "日本学術振興会"),
    Column(
        "sector",
        gettext_lazy("Sector"),
        ("type", "organization type", "kind", "セクター"),
        gettext_lazy(
            "government, national_lab, industry, ngo or intergovernmental; required."
        ),
        "government",
    ),
    _country(
        gettext_lazy(
            "US or JP (United States, Japan, 米国 and 日本 are read too); blank for an "
            "international or third-country body."
        )
    ),
    Column(
        "parent",
        gettext_lazy("Parent organization"),
        ("parent", "parent slug"),
        gettext_lazy(
            "Its slug or name, in the registry or a row of this file: "
            "Department of Energy for Brookhaven National Laboratory."
        ),
    ),
    Column(
        "ror_id",
        gettext_lazy("ROR ID"),
        ("ror", "ror identifier"),
        gettext_lazy(
            "Nine characters such as 021nxhr62. A blank cell keeps the "
            "organization's ROR ID: an import never removes one."
        ),
        "021nxhr62",
    ),
    _website("https://www.jsps.go.jp/"),
    _aliases("JSPS; 学振"),
]
