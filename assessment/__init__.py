"""Target-management assessment (目标管理考核): schemes as data, a pure engine, metrics, scores."""
