"""Every marketplace write and workflow. Views, serializers and admin actions call these."""
