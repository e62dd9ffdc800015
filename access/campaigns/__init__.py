"""Recertification campaigns: every quarter, every active grant is re-justified or removed.

Layout: ``models`` (Campaign, ReviewItem), ``services`` (every state change),
``selectors`` (reads, narrowed to what the user may see), ``insight``
(rubber-stamping flags), ``evidence`` (the streamed CSV and the summary),
``api``, ``views``, ``admin``, ``panels``, ``tasks``.
"""
