"""Resource sharing (服务资源共享): what organisations, units, merchants and communities lend
(rooms, equipment, vehicles, services), when it is open, the time ranges requests hold, the
suggestions that match needs to resources, and the service matrix around a community."""
