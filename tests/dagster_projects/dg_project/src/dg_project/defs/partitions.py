import dagster as dg

# A bounded range, so the partitions are the same whatever the day the tests run.
daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-08")
