"""The REST API (/api/v1/): the public search and records as JSON, over the same
FilterSets as the pages, with aggregations, name resolution and writes for staff."""
