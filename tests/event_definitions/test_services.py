"""Services against the database: concurrency, tags and the query log."""

import threading

import pytest
from django.db import connection
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from event_definitions.models import EventDefinition, QueryLog, Tag
from event_definitions.services import definition_set_tags, event_definition_create, query_log_record
from tests.event_definitions.factories import EventDefinitionFactory, tag


@pytest.mark.django_db(transaction=True)
def test_create_two_concurrent_requests_same_name_give_one_row_and_one_400(team, user):
    barrier = threading.Barrier(2)
    statuses = []

    def create() -> None:
        client = APIClient()
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(client.post(f"/api/projects/{team.id}/event_definitions/", {"name": "raced"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 400]
    assert EventDefinition.objects.filter(team=team, name="raced").count() == 1


@pytest.mark.django_db
def test_create_duplicate_name_raises_validation_error_on_name(team, user):
    EventDefinitionFactory(team=team, name="taken")

    with pytest.raises(ValidationError) as error:
        event_definition_create(team=team, user=user, data={"name": "taken"})

    assert list(error.value.detail) == ["name"]


@pytest.mark.django_db
def test_create_same_name_in_another_project_is_allowed(team, other_team, user):
    EventDefinitionFactory(team=other_team, name="shared")

    assert event_definition_create(team=team, user=user, data={"name": "shared"}).team == team


@pytest.mark.django_db
def test_set_tags_keeps_tags_still_used_elsewhere(team):
    first, second = EventDefinitionFactory.create_batch(2, team=team)
    tag(first, "shared", "only_first")
    tag(second, "shared")

    definition_set_tags(definition=first, names=[])

    assert sorted(Tag.objects.filter(team=team).values_list("name", flat=True)) == ["shared"]


@pytest.mark.django_db
def test_query_log_record_deduplicates_names(team):
    query_log_record(team=team, event_names=["b", "a", "b", ""], source="insight")

    assert list(QueryLog.objects.values_list("event_names", "source")) == [(["a", "b"], "insight")]


@pytest.mark.django_db
def test_query_log_record_without_names_records_nothing(team):
    query_log_record(team=team, event_names=[], source="query")

    assert not QueryLog.objects.exists()
