"""Grid pages: 随手拍 for villagers, the officer's events, the village's events by area."""
