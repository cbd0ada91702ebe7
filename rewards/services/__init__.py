"""Every write of the rewards app, split by concern: ledger (entries and balances), earning (rules, boost,
cap, reversals), streaks, leagues, boards (Redis), shop, follows."""
