"""factory_boy factories for the rows tests need."""

import factory

from organisations.models import Department, Membership, Organisation, Role, Team, User

PASSWORD = "a-long-test-password"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda person: f"{person.username}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.EMPLOYEE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create:
            self.save()
            for team in extracted or []:
                Membership.objects.create(team=team, user=self)

    @factory.post_generation
    def leads(self, create, extracted, **kwargs):
        if create:
            for team in extracted or []:
                Membership.objects.update_or_create(
                    team=team, user=self, defaults={"is_lead": True}
                )
