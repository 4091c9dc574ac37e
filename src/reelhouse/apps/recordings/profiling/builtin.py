"""The recordings app's profilers: MCAP files, ROS1 bags and ROS2 bags. Importing registers them;
the manifest names this module, so every process that profiles (the spawned pool too) has them."""

from __future__ import annotations

from reelhouse.apps.recordings.profiling.mcap_logs import is_mcap, profile_mcap
from reelhouse.apps.recordings.profiling.ros1_bags import is_ros1_bag, profile_ros1_bag
from reelhouse.apps.recordings.profiling.ros2_bags import is_ros2_db3, profile_ros2_db3
from reelhouse.platform.profiling import register_profiler

register_profiler("mcap", is_mcap, profile_mcap, priority=10, kinds=["robot_log"])
register_profiler("ros1_bag", is_ros1_bag, profile_ros1_bag, priority=10, kinds=["robot_log"])
register_profiler("ros2_db3", is_ros2_db3, profile_ros2_db3, priority=10, kinds=["robot_log"])
