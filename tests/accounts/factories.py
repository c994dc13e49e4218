import factory
from allauth.account.models import EmailAddress
from factory.django import DjangoModelFactory

from accounts.choices import Role, VerificationStatus
from accounts.models import Invitation, Membership, Organisation, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    is_owner = True
    is_exporter = False
    country = "NL"
    verification_status = VerificationStatus.VERIFIED


class OwnerOrganisationFactory(OrganisationFactory):
    is_owner = True
    is_exporter = False


class ExporterOrganisationFactory(OrganisationFactory):
    is_owner = False
    is_exporter = True
    country = "CN"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.ADMIN


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    invited_by = factory.SubFactory(UserFactory)


def member_of(organisation: Organisation, *, role: str = Role.ADMIN) -> User:
    """A verified user who belongs to ``organisation`` with ``role``."""
    return MembershipFactory(organisation=organisation, role=role).user
