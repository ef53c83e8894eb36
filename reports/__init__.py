"""Reports: assessment, monthly report, dashboards."""
