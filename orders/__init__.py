"""The order domain: customers, engineering orders with their line items and milestones, the
number series, search, bulk import and export. Each order runs an `order_lifecycle` process
instance; the engine sees the order only as that instance's process data."""
