"""JSON of the stats endpoint, written from its columns (registry.api.stats.Groups).

The pairing table has some 20,000 groups: encoding them as dicts cost 37 ms at 100,000
agreements, more than counting them. Each distinct key and label is encoded once,
as the JSON renderer encodes it, and the groups are joined from those pieces: the same
bytes, a few times faster.
"""

from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json

from .stats import Stats

SHORT_SEPARATORS = (",", ":")
LONG_SEPARATORS = (", ", ": ")


class StatsJSONRenderer(JSONRenderer):
    """The JSON renderer, which also writes a Stats (anything else as it would)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, Stats):
            return super().render(data, accepted_media_type, renderer_context)
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None:
            # Pretty-printed (the browsable API): small enough to encode as dicts.
            return super().render(data.as_dict(), accepted_media_type, renderer_context)
        separators = SHORT_SEPARATORS if self.compact else LONG_SEPARATORS
        head = super().render(
            {**data.head(), "groups": []}, accepted_media_type, renderer_context
        )
        body = self._groups(data.groups, separators)
        # The head ends with the empty list of groups and the closing brace: "[]}".
        return head[:-2] + body.encode() + head[-2:]

    def _groups(self, groups, separators) -> str:
        item, colon = separators

        def encoded(value) -> str:
            text = json.dumps(
                value,
                cls=self.encoder_class,
                ensure_ascii=self.ensure_ascii,
                allow_nan=not self.strict,
                separators=separators,
            )
            return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")

        members = [
            [
                None if member is None else (encoded(member[0]), encoded(member[1]))
                for member in column
            ]
            for column in groups.members
        ]
        if len(members) == 1:
            (column,) = members
            (indices,) = groups.indices
            template = f'{{"key"{colon}%s{item}"label"{colon}%s{item}"count"{colon}%d}}'
            return item.join(
                template % (*column[i], count)
                for i, count in zip(indices, groups.counts, strict=True)
            )
        first, second = members
        template = (
            f'{{"key"{colon}[%s{item}%s]{item}"label"{colon}[%s{item}%s]'
            f'{item}"count"{colon}%d}}'
        )
        return item.join(
            template % (first[i][0], second[j][0], first[i][1], second[j][1], count)
            for i, j, count in zip(*groups.indices, groups.counts, strict=True)
        )
