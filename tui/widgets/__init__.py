"""The monitor's panes and status line; each module has one job."""
