"""What the API shows of each record, and what a staff write may send: one module per
kind of record (agreements; institutions and organizations, read and written;
reference data, stats and names), sharing ``common``."""

from .agreements import AgreementSerializer, AgreementWriteSerializer
from .directory import InstitutionSerializer, OrganizationSerializer
from .directory_writes import (
    InstitutionWriteSerializer,
    NamedRecordWriteSerializer,
    OrganizationWriteSerializer,
)
from .reference import (
    ActivityTypeSerializer,
    CaseStudySerializer,
    DataSourceSerializer,
    DisciplineSerializer,
    ProgramSerializer,
    ResolutionSerializer,
    ResolveQuerySerializer,
    StatsSerializer,
)

__all__ = [
    "ActivityTypeSerializer",
    "AgreementSerializer",
    "AgreementWriteSerializer",
    "CaseStudySerializer",
    "DataSourceSerializer",
    "DisciplineSerializer",
    "InstitutionSerializer",
    "InstitutionWriteSerializer",
    "NamedRecordWriteSerializer",
    "OrganizationSerializer",
    "OrganizationWriteSerializer",
    "ProgramSerializer",
    "ResolutionSerializer",
    "ResolveQuerySerializer",
    "StatsSerializer",
]
