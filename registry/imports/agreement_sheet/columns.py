"""The agreement sheet's columns: what each is called in a file (its label in every
language, its synonyms), what to write in it, and the agreement fields it fills."""

from django.utils.translation import gettext_lazy

from ..sheets import Column

COLUMNS = [
    Column(
        "public_id",
        gettext_lazy("Public ID"),
        ("id", "agreement id", "registry id", "usjp id"),
        gettext_lazy("Blank for a new agreement; USJP-000042 to update that one."),
    ),
    Column(
        "new_anyway",
        gettext_lazy("New anyway"),
        ("not a duplicate", "new", "新規"),
        gettext_lazy(
            "yes when a new row looks like an existing agreement (a close title, "
            "shared institutions, the same source or start year) but is a "
            "different one; blank otherwise."
        ),
    ),
    Column(
        "title",
        gettext_lazy("Title"),
        ("title (english)", "english title", "agreement title", "project title"),
        gettext_lazy("Required."),
        "Joint Research on Earthquake Early Warning",
    ),
    Column(
        "title_ja",
        gettext_lazy("Title (Japanese)"),
        ("japanese title", "title japanese", "タイトル", "題目", "名称"),
        example="地震早期警報に関する共同研究",
    ),
    Column(
        "classification",
        gettext_lazy("Classification"),
        ("type", "agreement type", "分類"),
        gettext_lazy(
            "collaborative or consortium; blank: consortium when there are partner "
            "organizations, collaborative otherwise."
        ),
    ),
    Column(
        "us_institutions",
        gettext_lazy("U.S. institutions"),
        (
            "us institution",
            "us institutions",
            "u s institutions",
            "us university",
            "us universities",
            "american institutions",
            "米国機関",
            "米国大学",
        ),
        gettext_lazy(
            "Several separated by ; or new lines, each optionally with a unit: "
            "Harvard University (School of Medicine)."
        ),
        "University of California, Berkeley (Seismological Laboratory)",
    ),
    Column(
        "jp_institutions",
        gettext_lazy("Japanese institutions"),
        (
            "jp institution",
            "jp institutions",
            "japan institutions",
            "japanese institution",
            "japanese universities",
            "japanese university",
            "日本機関",
            "日本の大学",
            "大学",
        ),
        gettext_lazy("As U.S. institutions; English or Japanese names."),
        "東北大学 (災害科学国際研究所)",
    ),
    Column(
        "partners",
        gettext_lazy("Partner organizations"),
        ("partner organizations", "partner", "organizations", "organisations"),
        gettext_lazy(
            "Non-higher-education partners, each optionally with its role: "
            "National Science Foundation (funder). Roles: funder, sponsor, "
            "industry_partner, host_facility, partner."
        ),
        "National Science Foundation (funder)",
    ),
    Column("program", gettext_lazy("Program"), ("programme", "funding program")),
    Column(
        "disciplines",
        gettext_lazy("Disciplines"),
        ("discipline", "fields", "field", "subjects", "分野"),
        gettext_lazy("Names from the Lists sheet, separated by ;."),
        "Earth sciences",
    ),
    Column(
        "activities",
        gettext_lazy("Activities"),
        ("activity", "activity types", "activity type"),
        gettext_lazy("Names from the Lists sheet, separated by ;."),
        "Research grant award",
    ),
    Column(
        "start",
        gettext_lazy("Start"),
        ("start date", "begin", "begins", "from", "開始", "開始日"),
        gettext_lazy("A year (2019), a month (2019-03 or March 2019) or a day."),
        "2019-04",
    ),
    Column(
        "end",
        gettext_lazy("End"),
        ("end date", "ends", "until", "to", "終了", "終了日"),
        gettext_lazy("As the start; blank when open-ended."),
        "2024",
    ),
    Column(
        "funding_amount",
        gettext_lazy("Amount"),
        ("amount", "funding", "award amount", "budget", "金額"),
        gettext_lazy("A number; currency signs and separators are fine: $1,200,000."),
        "1200000",
    ),
    Column(
        "funding_currency",
        gettext_lazy("Currency"),
        ("currency", "通貨"),
        gettext_lazy("USD or JPY; blank when the amount carries $ or ¥."),
        "USD",
    ),
    Column(
        "source",
        gettext_lazy("Source"),
        ("data source", "sources", "出典"),
        gettext_lazy("Where the agreement was found: a name from the Lists sheet."),
        "USAspending.gov",
    ),
    Column(
        "source_id",
        gettext_lazy("Source ID"),
        (
            "source identifier",
            "award id",
            "award number",
            "grant number",
            "project number",
            "課題番号",
        ),
        gettext_lazy(
            "The source's own record ID: re-importing the row updates the same "
            "agreement."
        ),
        "1234567",
    ),
    Column(
        "source_url",
        gettext_lazy("Source URL"),
        ("link", "source link", "record url"),
        example="https://www.usaspending.gov/award/ASST_NON_1234567_4900",
    ),
    Column(
        "retrieved_on",
        gettext_lazy("Retrieved"),
        ("retrieved", "retrieved date", "accessed", "accessed on", "取得日"),
        gettext_lazy("The day the source was read: 2026-11-01."),
        "2026-11-01",
    ),
    Column("summary", gettext_lazy("Summary"), ("description", "abstract", "概要")),
    # Written by exports, derived or kept by the registry: read, never imported.
    Column("status", gettext_lazy("Status"), read_only=True),
    Column("synthetic", gettext_lazy("Synthetic"), read_only=True),
    Column("url", gettext_lazy("Registry URL"), ("registry url",), read_only=True),
    Column("last_updated", gettext_lazy("Last updated"), read_only=True),
]
COLUMN_BY_NAME = {column.name: column for column in COLUMNS}
# Fields an update compares and writes, with the column each comes from.
SCALAR_FIELDS = {
    "title": "title",
    "title_ja": "title_ja",
    "summary": "summary",
    "classification": "classification",
    "program_id": "program",
    "start_date": "start",
    "start_precision": "start",
    "end_date": "end",
    "end_precision": "end",
    "funding_amount": "funding_amount",
    "funding_currency": "funding_currency",
}
