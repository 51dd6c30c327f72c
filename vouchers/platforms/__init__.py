"""Online training platforms (线上培训平台, issue 21 item 8).

A platform is registered by the bureau like an institution, and is one: its registry entry is an
`Institution` (kind 线上培训平台) and its courses are `TrainingClass` rows of it, so enrolments,
settlement claims, payment lists and statistics need nothing new. What only a platform has lives
in `models.platforms`: the scope the bureau allows (project types, occupations), the keys that
sign its requests, its course codes and required hours, and the study it reports.

- `signature`: the canonical string and its HMAC (docs/online-platforms.md is the contract).
- `auth`: a signed request -> the calling platform (timestamp window, key, signature, nonce).
- `registry`, `keys`: the bureau's use cases (register, scope, add and retire keys).
- `courses`, `verify`, `enrol`, `progress`, `completion`: the platform's use cases.
"""
