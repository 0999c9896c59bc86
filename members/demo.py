"""Demo data for a living local portal: a roster of invented people, exchanges, and accounts.

Deterministic (a fixed random seed) and idempotent: running it again adds only what is missing.
Everyone lives at example.org/.com/.net, which can never receive mail. `seed_demo` calls
`demo_seed`; later issues add waves, activities and newsletters on top of `DemoResult`.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass
from dataclasses import field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from members import services
from members.models import Exchange
from members.models import ExpertiseField
from members.models import Language
from members.models import Participant
from members.models import User

SEED = 1963
DEFAULT_PARTICIPANTS = 2000
MEMBER_COUNT = 25
ID_PREFIX = "DEMO-"
LAST_EXCHANGE_YEAR = 2025
# Fredskorpset (FK Norway) became Norec in 2018; the programme names follow.
NOREC_SINCE = 2018

# Local-only demo accounts (documented in docs/demo-accounts.md): (email, password, role).
ADVISER = ("adviser@norec.test", "adviser-demo-1963")
STAFF = ("staff@norec.test", "staff-demo-1963")
SUPERUSER = ("admin@norec.test", "admin-demo-1963")
MEMBER = ("member@norec.test", "member-demo-1963")
# A member from Uganda, whom the community's demo puts on the Uganda branch's committee (so that
# the demo shows a committee moderating its room).
COMMITTEE = ("committee@norec.test", "committee-demo-1963")
COMMITTEE_COUNTRY = "UG"
# Staff must use an authenticator app; the demo staff share this public secret so that anyone
# trying the portal locally can log in (`python manage.py demo_totp_code` prints the current code).
DEMO_TOTP_SECRET = "NORECDEMONORECDEMONORECDEMO23456"

# --- names per region -------------------------------------------------------------------------

NAMES = {
    "east_africa": (
        "Amani Wanjiru Otieno Achieng Baraka Neema Juma Zawadi Akinyi Kato Nakato Mugisha "
        "Uwase Imani Halima Joseph Grace Faith Emmanuel Esther Daudi Rehema",
        "Mwangi Otieno Wanjiku Kamau Njoroge Mushi Mollel Kimaro Okello Namutebi Ssempijja "
        "Habimana Niyonzima Uwimana Mutua Kiprono Chebet Massawe Lyimo Ochieng",
    ),
    "ethiopia": (
        "Abebe Almaz Dawit Meron Hana Tesfaye Selam Yonas Bethlehem Mekdes Girma Tigist "
        "Bereket Liya Samuel Eyerusalem",
        "Bekele Tadesse Haile Alemu Girma Tesfaye Mengistu Wolde Kebede Desta Gebre Assefa",
    ),
    "southern_africa": (
        "Chikondi Tiwonge Thandiwe Sipho Nomsa Tendai Farai Chipo Mutale Bwalya Lindiwe "
        "Tatenda Kondwani Mphatso Zodwa Themba Mercy Blessings",
        "Banda Phiri Mwale Chirwa Dlamini Nkosi Moyo Ncube Sibanda Mulenga Zulu Khumalo "
        "Chanda Tembo Ndlovu Mbewe",
    ),
    "mozambique": (
        "Ana João Fátima Celso Lurdes Armando Graça Inácio Esperança Tomás Zélia Amélia",
        "Macuácua Cossa Mondlane Nhantumbo Sitoe Machava Langa Muianga Tembe Mabunda",
    ),
    "madagascar": (
        "Hery Voahangy Fanja Tiana Lova Rivo Haingo Mamy Faly Nirina Soa Andry",
        "Rakotoarisoa Randriamanana Rasoanaivo Andrianarivo Razafindrakoto Rabemananjara "
        "Ravelomanana Rakotondrabe Rajaonarison",
    ),
    "west_africa": (
        "Kwame Ama Kofi Akosua Yaw Efua Chinedu Ngozi Emeka Aisha Tunde Funmilayo Ibrahim "
        "Amina Abena Kojo Adaeze Olumide",
        "Mensah Owusu Boateng Asante Okafor Adeyemi Balogun Eze Abubakar Nwosu Appiah Danjuma "
        "Oyelaran Agyeman",
    ),
    "cameroon": (
        "Jean Marie-Claire Paul Brigitte Serge Nadège Aurélie Christian Hélène Émile Rosine",
        "Fotso Tchoupo Mbarga Kamga Ngono Nkemelu Essomba Tchakounté Ndjock Abena",
    ),
    "nepal": (
        "Sita Ram Bishnu Sunita Anil Pooja Prakash Sarita Kiran Laxmi Suman Gita",
        "Shrestha Gurung Tamang Rai Thapa Karki Adhikari Magar Sherpa Poudel",
    ),
    "india": (
        "Priya Rahul Anjali Arjun Deepa Vikram Lakshmi Kavya Sanjay Meera Ravi Divya",
        "Sharma Patel Nair Reddy Iyer Das Menon Singh Kumar Rao",
    ),
    "bangladesh": (
        "Rahim Fatema Nusrat Tanvir Shirin Kamal Sumaiya Arif Farzana Mahmud",
        "Rahman Hossain Akter Islam Chowdhury Ahmed Uddin Begum",
    ),
    "sri_lanka": (
        "Nimal Kumari Chamara Dilani Ruwan Sanduni Kasun Nadeesha Tharindu Malini",
        "Perera Fernando Silva Jayasinghe Wickramasinghe Bandara Dissanayake Herath",
    ),
    "thailand": (
        "Somchai Siriporn Nattapong Kanya Pimchanok Anan Wanida Thanakorn Ploy",
        "Srisai Wongsakul Chaiyaporn Suksawat Rattanakorn Boonmee Saetang",
    ),
    "vietnam": (
        "Minh Lan Hương Tuấn Linh Thảo Đức Hạnh Quang Ngọc",
        "Nguyễn Trần Lê Phạm Hoàng Vũ Đặng Bùi",
    ),
    "indonesia": (
        "Budi Siti Agus Dewi Putri Rizky Wahyu Intan Yusuf Ratna",
        "Santoso Wijaya Saputra Hidayat Kusuma Pratama Nugroho Siregar",
    ),
    "philippines": (
        "Maria Jose Ana Mark Kristine Rommel Joy Carlo Marites Paolo",
        "Santos Reyes Cruz Bautista Garcia Dela Cruz Mendoza Villanueva Ramos",
    ),
    "laos": (
        "Souksavanh Khamla Phonsavan Noy Vanh Bounmy Chanthala Somphone",
        "Phommachanh Sisavath Keomany Vongsa Inthavong Sengdara Chanthavong",
    ),
    "latin_america": (
        "María José|José Luis|Ana Lucía|Juan Carlos|Rosa|Miguel|Sofía|Andrés|Carmen|Luis|"
        "Wilmer|Lucía|Edgar|Ximena",
        "García López Pérez Mamani Quispe Choque Ramírez Hernández Flores Morales Gutiérrez "
        "Ajú Tzoc Condori",
    ),
}

# home country: (name region, preferred language, weight on the roster, towns for partners)
COUNTRIES = {
    "KE": ("east_africa", "en", 9, "Nairobi Kisumu Mombasa"),
    "TZ": ("east_africa", "en", 8, "Arusha Dodoma Moshi"),
    "UG": ("east_africa", "en", 8, "Kampala Gulu Mbarara"),
    "RW": ("east_africa", "fr", 3, "Kigali Huye"),
    "ET": ("ethiopia", "en", 6, "Addis Ababa Hawassa Mekelle"),
    "MW": ("southern_africa", "en", 5, "Lilongwe Blantyre Zomba"),
    "MZ": ("mozambique", "pt", 4, "Maputo Beira Nampula"),
    "ZM": ("southern_africa", "en", 5, "Lusaka Ndola Livingstone"),
    "ZW": ("southern_africa", "en", 4, "Harare Bulawayo"),
    "ZA": ("southern_africa", "en", 5, "Johannesburg Cape Town Durban"),
    "MG": ("madagascar", "fr", 3, "Antananarivo Toamasina"),
    "GH": ("west_africa", "en", 4, "Accra Kumasi Tamale"),
    "NG": ("west_africa", "en", 3, "Lagos Abuja Ibadan"),
    "CM": ("cameroon", "fr", 2, "Yaoundé Douala"),
    "NP": ("nepal", "en", 5, "Kathmandu Pokhara"),
    "IN": ("india", "en", 3, "Pune Chennai Kolkata"),
    "BD": ("bangladesh", "en", 3, "Dhaka Chittagong"),
    "LK": ("sri_lanka", "en", 3, "Colombo Kandy"),
    "TH": ("thailand", "en", 3, "Bangkok Chiang Mai"),
    "VN": ("vietnam", "en", 3, "Hanoi Hue"),
    "ID": ("indonesia", "en", 3, "Yogyakarta Bandung"),
    "PH": ("philippines", "en", 3, "Manila Cebu Davao"),
    "LA": ("laos", "en", 2, "Vientiane Luang Prabang"),
    "GT": ("latin_america", "es", 2, "Quetzaltenango Antigua"),
    "BO": ("latin_america", "es", 2, "La Paz Cochabamba"),
}
NORWAY_TOWNS = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "Kristiansand", "Lillehammer"]
PARTNER_KINDS = [
    "District Hospital",
    "Teachers College",
    "Youth Centre",
    "Farmers' Cooperative",
    "Community Radio",
    "Folk High School",
    "Municipality",
    "Women's Association",
    "Water Board",
    "University College",
    "Sports Club",
    "Newspaper",
]
FK_PROGRAMMES = ["FK Volunteers", "FK South", "FK Youth", "FK Senior"]
NOREC_PROGRAMMES = ["Norec Health", "Norec Education", "Norec South-South", "Norec Youth"]
POSITIONS = [
    "Programme officer",
    "Nurse",
    "Teacher",
    "Agronomist",
    "Journalist",
    "Project manager",
    "Youth leader",
    "Lecturer",
    "Community health worker",
    "Engineer",
]
TIME_ZONES = {
    "KE": "Africa/Nairobi",
    "TZ": "Africa/Dar_es_Salaam",
    "UG": "Africa/Kampala",
    "ET": "Africa/Addis_Ababa",
    "NP": "Asia/Kathmandu",
    "PH": "Asia/Manila",
    "GT": "America/Guatemala",
    "BO": "America/La_Paz",
}
EMAIL_DOMAINS = ["example.org", "example.com", "example.net"]


@dataclass
class DemoResult:
    participants_created: int = 0
    exchanges_created: int = 0
    accounts_created: list[str] = field(default_factory=list)
    members_linked: int = 0


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = plain.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in ".-")


def _split(names: str) -> list[str]:
    return names.split("|") if "|" in names else names.split()


def _exchange_year(rng: random.Random) -> int:
    # Few in the early decades, most since 2000 (the programme grew).
    if rng.random() < 0.25:
        return rng.randint(1963, 1999)
    return rng.randint(2000, LAST_EXCHANGE_YEAR)


def _programme(rng: random.Random, year: int) -> str:
    if year < 1990:
        return "FK Volunteers"
    return rng.choice(NOREC_PROGRAMMES if year >= NOREC_SINCE else FK_PROGRAMMES)


def _exchange(rng: random.Random, home: str, year: int) -> dict:
    programme = _programme(rng, year)
    if programme == "Norec South-South" or (programme == "FK South" and rng.random() < 0.8):
        host = rng.choice([code for code in COUNTRIES if code != home])
        town = rng.choice(COUNTRIES[host][3].split(" ") if host != "ZA" else ["Durban"])
    else:
        host = "NO"
        town = rng.choice(NORWAY_TOWNS)
    return {
        "year": year,
        "host_country": host,
        "programme": programme,
        "partner_organisation": f"{town} {rng.choice(PARTNER_KINDS)}",
    }


def build_roster(count: int = DEFAULT_PARTICIPANTS, seed: int = SEED) -> list[dict]:
    """The invented roster: one dict per person with their exchanges. Same seed, same people."""
    rng = random.Random(seed)
    codes = list(COUNTRIES)
    weights = [COUNTRIES[code][2] for code in codes]
    roster = []
    for number in range(1, count + 1):
        home = rng.choices(codes, weights)[0]
        region, language, _weight, _towns = COUNTRIES[home]
        first_names, last_names = (_split(names) for names in NAMES[region])
        first, last = rng.choice(first_names), rng.choice(last_names)
        participant_id = f"{ID_PREFIX}{number:05d}"
        roll = rng.random()
        if roll < 0.03:
            email, status = "", Participant.EmailStatus.UNKNOWN
        else:
            email = f"{_ascii(first)}.{_ascii(last)}.{number}@{rng.choice(EMAIL_DOMAINS)}"
            status = (
                Participant.EmailStatus.BOUNCED
                if roll < 0.07
                else Participant.EmailStatus.COMPLAINED
                if roll < 0.075
                else Participant.EmailStatus.OK
                if roll < 0.35
                else Participant.EmailStatus.UNKNOWN
            )
        first_year = _exchange_year(rng)
        exchanges = [_exchange(rng, home, first_year)]
        if rng.random() < 0.15 and first_year < LAST_EXCHANGE_YEAR:
            second_year = min(LAST_EXCHANGE_YEAR, first_year + rng.randint(1, 6))
            exchanges.append(_exchange(rng, home, second_year))
        roster.append(
            {
                "participant_id": participant_id,
                "first_name": first,
                "last_name": last,
                "email": email,
                "email_status": status,
                "home_country": home,
                "preferred_language": language,
                "declined_invitations": rng.random() < 0.02,
                "exchanges": exchanges,
            }
        )
    return roster


@functools.cache
def _hash(password: str) -> str:
    # Hashing is slow by design; the demo members share one password, so hash it once.
    return make_password(password)


def _ensure_account(email: str, password: str, result: DemoResult, **flags) -> tuple[User, bool]:
    """The account for this address, created (with a verified primary address) if missing."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create(email=email, password=_hash(password), **flags)
        result.accounts_created.append(email)
        created = True
    else:
        created = False
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created


def _seed_roster(roster: list[dict], result: DemoResult) -> dict[str, int]:
    """Insert the people and exchanges that are missing; return {roster id: primary key}."""
    wanted = [row["participant_id"] for row in roster]
    existing = set(
        Participant.objects.filter(participant_id__in=wanted).values_list(
            "participant_id", flat=True
        )
    )
    fields = {key for key in roster[0] if key != "exchanges"} if roster else set()
    new_people = [
        Participant(**{key: row[key] for key in fields})
        for row in roster
        if row["participant_id"] not in existing
    ]
    Participant.objects.bulk_create(new_people, batch_size=500)
    result.participants_created = len(new_people)

    ids = dict(
        Participant.objects.filter(participant_id__in=wanted).values_list("participant_id", "pk")
    )
    new_ids = {person.participant_id for person in new_people}
    exchanges = [
        Exchange(participant_id=ids[row["participant_id"]], **exchange)
        for row in roster
        if row["participant_id"] in new_ids
        for exchange in row["exchanges"]
    ]
    Exchange.objects.bulk_create(exchanges, batch_size=1000, ignore_conflicts=True)
    result.exchanges_created = len(exchanges)
    return ids


def _seed_members(roster: list[dict], ids: dict[str, int], result: DemoResult) -> None:
    """Register a handful of people, the first as member@norec.test, with profiles filled in."""
    rng = random.Random(SEED + 1)
    candidates = [
        row
        for row in roster
        if row["email"]
        and row["email_status"] == Participant.EmailStatus.OK
        and not row["declined_invitations"]
    ][:MEMBER_COUNT]
    expertise = list(ExpertiseField.objects.filter(is_approved=True))
    languages = {language.code: language for language in Language.objects.all()}
    for index, row in enumerate(candidates):
        participant = Participant.objects.get(pk=ids[row["participant_id"]])
        if participant.user_id is not None:
            continue
        email = MEMBER[0] if index == 0 else row["email"]
        _register(
            participant,
            row,
            email=email,
            password=MEMBER[1],
            rng=rng,
            result=result,
            always_visible=index == 0,
            expertise=expertise,
            languages=languages,
        )
        result.members_linked += 1


def _seed_committee_member(roster: list[dict], ids: dict[str, int], result: DemoResult) -> None:
    """committee@norec.test: a registered member from Uganda (none of the first members may be)."""
    if User.objects.filter(email__iexact=COMMITTEE[0], participant__isnull=False).exists():
        return
    rng = random.Random(SEED + 2)
    for row in roster:
        if (
            row["home_country"] == COMMITTEE_COUNTRY
            and row["email"]
            and row["email_status"] == Participant.EmailStatus.OK
            and not row["declined_invitations"]
        ):
            participant = Participant.objects.get(pk=ids[row["participant_id"]])
            if participant.user_id is None:
                _register(
                    participant,
                    row,
                    email=COMMITTEE[0],
                    password=COMMITTEE[1],
                    rng=rng,
                    result=result,
                    always_visible=True,
                    expertise=list(ExpertiseField.objects.filter(is_approved=True)),
                    languages={language.code: language for language in Language.objects.all()},
                )
                result.members_linked += 1
                return


def _register(
    participant: Participant,
    row: dict,
    *,
    email: str,
    password: str,
    rng: random.Random,
    result: DemoResult,
    always_visible: bool,
    expertise: list,
    languages: dict,
) -> None:
    """An account for a roster participant, with consent and a profile filled in."""
    user, _created = _ensure_account(email, password, result)
    participant = services.participant_link_user(participant=participant, user=user)
    services.participant_record_consent(participant=participant)
    home = row["home_country"]
    participant.residence_country = home if rng.random() < 0.85 else "NO"
    participant.city = rng.choice(COUNTRIES[home][3].split(" "))
    participant.organisation = f"{participant.city} {rng.choice(PARTNER_KINDS)}"
    participant.position = rng.choice(POSITIONS)
    participant.bio = (
        f"Took part in {row['exchanges'][0]['programme']} in {row['exchanges'][0]['year']}. "
        "Happy to share what I learnt with new participants."
    )
    participant.time_zone = TIME_ZONES.get(home, "UTC")
    participant.directory_visibility = (
        Participant.Visibility.MEMBERS
        if always_visible or rng.random() < 0.6
        else Participant.Visibility.HIDDEN
    )
    participant.resource_person = rng.random() < 0.3
    participant.save(
        update_fields=[
            "residence_country",
            "city",
            "organisation",
            "position",
            "bio",
            "time_zone",
            "directory_visibility",
            "resource_person",
            "updated_at",
        ]
    )
    if expertise:
        participant.expertise.set(rng.sample(expertise, k=min(len(expertise), 2)))
    spoken = [languages[code] for code in ("en", row["preferred_language"]) if code in languages]
    participant.languages.set(set(spoken))
    # The demo members answered the visibility question; the directory searches their text.
    Participant.objects.filter(pk=participant.pk).update(visibility_chosen_at=timezone.now())
    services.participant_refresh_search_text(participant=participant)


def _seed_staff(result: DemoResult) -> None:
    # The groups come from a data migration (members 0007); each demo account gets its role.
    for (email, password), group_name in ((ADVISER, "Network advisers"), (STAFF, "Activity staff")):
        user, created = _ensure_account(email, password, result, is_staff=True)
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            user.groups.add(group)
        _ensure_demo_totp(user)
    superuser, _ = _ensure_account(
        SUPERUSER[0], SUPERUSER[1], result, is_staff=True, is_superuser=True
    )
    _ensure_demo_totp(superuser)


def _ensure_demo_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def demo_seed(*, participants: int = DEFAULT_PARTICIPANTS) -> DemoResult:
    """Create whatever part of the demo is missing; a second run changes nothing."""
    result = DemoResult()
    roster = build_roster(participants)
    with transaction.atomic():
        ids = _seed_roster(roster, result)
        _seed_members(roster, ids, result)
        _seed_committee_member(roster, ids, result)
        _seed_staff(result)
    return result
