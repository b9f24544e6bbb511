"""The Celery app: configured from Django settings (CELERY_*); tasks live in each app's tasks.py.

Tasks are routed to a queue by kind of work (settings.TASK_QUEUES_BY_KIND); every queue is
declared here, so a worker started without ``-Q`` consumes them all, and ``-Q mail`` (say) makes
a worker for one kind only.
"""

import os

from celery import Celery
from django.conf import settings
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("koningklant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def all_queues() -> list[str]:
    """Every queue a task can be routed to, the default one last."""
    return [*settings.TASK_QUEUES_BY_KIND, settings.CELERY_TASK_DEFAULT_QUEUE]


app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in all_queues()]
