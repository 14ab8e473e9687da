"""The trainer workspace: cohorts of learners with assigned modules and due dates, bulk enrolment from CSV,
the cohort dashboard, question analysis and the exports built from the same report model as the pages.

models.py (tables) · services.py (the writes: cohorts, enrolment, CSV import plan and apply) · reports.py (the
read-only report model, computed with SQL aggregation) · charts.py (inline SVG) · exports.py (CSV and XLSX from
the report model) · views.py (the pages) · commands.py (`flask cohorts ...`) · demo.py (demo cohorts).
"""
