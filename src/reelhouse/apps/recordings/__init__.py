"""Recordings: robot logs (MCAP, ROS1 bags, ROS2 bags) indexed, browsed, replayed, visualized."""
