"""Reference vocabulary for synthetic referrals: payers, ICD-10-CM diagnoses, orders per intent,
names, places and the label wordings that referral sources use.

ICD-10-CM codes are real billable cardiology codes with their CMS descriptions (the test suite checks
them against ``simple_icd_10_cm``). CPT codes lie inside the contract's ranges for their intent.
"""

from __future__ import annotations

from typing import Final

# --- payers ------------------------------------------------------------------------------------
# (display names as printed on forms and cards, plan kind, member-ID format, has group number, weight)
PAYERS: Final[tuple[tuple[tuple[str, ...], str, str, bool, float], ...]] = (
    (("UnitedHealthcare", "United Healthcare", "UHC", "UnitedHealthcare Choice Plus"), "commercial", "uhc", True, 7),
    (("Aetna", "Aetna PPO", "Aetna Open Access"), "commercial", "aetna", True, 5),
    (("Cigna", "Cigna Health", "Cigna Open Access Plus"), "commercial", "cigna", True, 4),
    (("Blue Cross Blue Shield", "BCBS", "Anthem Blue Cross", "Anthem BCBS", "Anthem"), "commercial", "bcbs", True, 6),
    (("Highmark BCBS", "BlueCross BlueShield of Texas", "Regence BlueShield"), "commercial", "bcbs", True, 3),
    (("Kaiser Permanente",), "commercial", "kaiser", False, 2),
    (("Oscar Health",), "commercial", "oscar", True, 1),
    (("TRICARE East", "TRICARE Select"), "commercial", "tricare", False, 1),
    (("Humana",), "commercial", "humana", True, 1),
    (("Aetna Medicare Advantage", "Aetna Medicare PPO"), "medicare_advantage", "aetna", False, 5),
    (("AARP Medicare Advantage", "UnitedHealthcare Medicare Advantage", "UHC Medicare Advantage"), "medicare_advantage", "uhc", False, 7),
    (("Humana Gold Plus", "Humana Medicare Advantage", "Humana Medicare"), "medicare_advantage", "humana", False, 6),
    (("Wellcare", "Wellcare Medicare"), "medicare_advantage", "wellcare", False, 2),
    (("Anthem Medicare Advantage",), "medicare_advantage", "bcbs", False, 2),
    (("Devoted Health",), "medicare_advantage", "devoted", False, 1),
    (("Medicare", "Medicare Part B", "Original Medicare", "Medicare (CMS)"), "medicare", "mbi", False, 14),
    (("Dual Eligible",), "medicaid", "mbi", False, 1),
    (("Ohio Medicaid",), "medicaid", "ohio", False, 2),
    (("Medi-Cal",), "medicaid", "medical", False, 2),
    (("NY Medicaid",), "medicaid", "ny", False, 1),
    (("Texas Medicaid",), "medicaid", "texas", False, 1),
    (("UHC Community Plan", "UnitedHealthcare Community Plan"), "medicaid", "uhc", True, 2),
    (("CareSource",), "medicaid", "caresource", False, 2),
    (("Molina Healthcare",), "medicaid", "molina", False, 2),
)

# --- diagnoses ---------------------------------------------------------------------------------
# code -> (CMS description, shorter wordings seen on referrals)
ICD10: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "I10": ("Essential (primary) hypertension", ("Hypertension", "HTN", "Essential hypertension")),
    "I11.0": ("Hypertensive heart disease with heart failure", ("Hypertensive heart disease w/ HF",)),
    "I20.0": ("Unstable angina", ("Unstable angina",)),
    "I20.9": ("Angina pectoris, unspecified", ("Angina", "Angina pectoris")),
    "I21.4": ("Non-ST elevation (NSTEMI) myocardial infarction", ("NSTEMI", "Recent NSTEMI")),
    "I25.10": (
        "Atherosclerotic heart disease of native coronary artery without angina pectoris",
        ("CAD", "Coronary artery disease", "ASHD native coronary artery"),
    ),
    "I25.119": (
        "Atherosclerotic heart disease of native coronary artery with unspecified angina pectoris",
        ("CAD with angina",),
    ),
    "I25.2": ("Old myocardial infarction", ("History of MI", "Old MI")),
    "I25.5": ("Ischemic cardiomyopathy", ("Ischemic CM", "Ischemic cardiomyopathy")),
    "I27.20": ("Pulmonary hypertension, unspecified", ("Pulmonary HTN", "Pulmonary hypertension")),
    "I34.0": ("Nonrheumatic mitral (valve) insufficiency", ("Mitral regurgitation", "MR")),
    "I35.0": ("Nonrheumatic aortic (valve) stenosis", ("Aortic stenosis", "AS")),
    "I36.1": ("Nonrheumatic tricuspid (valve) insufficiency", ("Tricuspid regurgitation",)),
    "I42.0": ("Dilated cardiomyopathy", ("Dilated CM", "DCM")),
    "I42.1": ("Obstructive hypertrophic cardiomyopathy", ("HOCM", "Hypertrophic obstructive cardiomyopathy")),
    "I42.9": ("Cardiomyopathy, unspecified", ("Cardiomyopathy",)),
    "I44.2": ("Atrioventricular block, complete", ("Complete heart block", "CHB")),
    "I44.7": ("Left bundle-branch block, unspecified", ("LBBB", "Left bundle branch block")),
    "I45.10": ("Unspecified right bundle-branch block", ("RBBB",)),
    "I45.81": ("Long QT syndrome", ("Long QT", "Prolonged QT")),
    "I47.10": ("Supraventricular tachycardia, unspecified", ("SVT", "Supraventricular tachycardia")),
    "I47.20": ("Ventricular tachycardia, unspecified", ("VT", "Ventricular tachycardia")),
    "I48.0": ("Paroxysmal atrial fibrillation", ("PAF", "Paroxysmal AFib", "Paroxysmal A-fib")),
    "I48.11": ("Longstanding persistent atrial fibrillation", ("Persistent AFib",)),
    "I48.20": ("Chronic atrial fibrillation, unspecified", ("Chronic AFib", "Chronic A-fib")),
    "I48.91": ("Unspecified atrial fibrillation", ("Atrial fibrillation", "AFib", "A-fib", "A fib")),
    "I49.1": ("Atrial premature depolarization", ("PACs", "Premature atrial contractions")),
    "I49.3": ("Ventricular premature depolarization", ("PVCs", "Premature ventricular contractions")),
    "I49.5": ("Sick sinus syndrome", ("SSS", "Sick sinus syndrome")),
    "I50.9": ("Heart failure, unspecified", ("CHF", "Heart failure", "Congestive heart failure")),
    "I50.22": ("Chronic systolic (congestive) heart failure", ("HFrEF", "Chronic systolic CHF")),
    "I50.32": ("Chronic diastolic (congestive) heart failure", ("HFpEF", "Chronic diastolic CHF")),
    "I51.7": ("Cardiomegaly", ("Cardiomegaly", "Enlarged heart")),
    "I63.9": ("Cerebral infarction, unspecified", ("CVA", "Stroke")),
    "I65.23": ("Occlusion and stenosis of bilateral carotid arteries", ("Bilateral carotid stenosis",)),
    "I70.213": (
        "Atherosclerosis of native arteries of extremities with intermittent claudication, bilateral legs",
        ("PAD with claudication", "Claudication, bilateral"),
    ),
    "I73.9": ("Peripheral vascular disease, unspecified", ("PVD", "PAD", "Peripheral vascular disease")),
    "I83.90": ("Asymptomatic varicose veins of unspecified lower extremity", ("Varicose veins",)),
    "E78.5": ("Hyperlipidemia, unspecified", ("Hyperlipidemia", "HLD", "High cholesterol")),
    "G45.9": ("Transient cerebral ischemic attack, unspecified", ("TIA",)),
    "R00.0": ("Tachycardia, unspecified", ("Tachycardia",)),
    "R00.1": ("Bradycardia, unspecified", ("Bradycardia",)),
    "R00.2": ("Palpitations", ("Palpitations", "Heart palpitations")),
    "R01.1": ("Cardiac murmur, unspecified", ("Murmur", "Heart murmur", "New murmur")),
    "R06.02": ("Shortness of breath", ("SOB", "Dyspnea", "Shortness of breath")),
    "R07.89": ("Other chest pain", ("Atypical chest pain", "Chest pressure")),
    "R07.9": ("Chest pain, unspecified", ("Chest pain", "CP")),
    "R09.89": (
        "Other specified symptoms and signs involving the circulatory and respiratory systems",
        ("Carotid bruit",),
    ),
    "R55": ("Syncope and collapse", ("Syncope", "Near syncope", "Syncopal episode")),
    "R60.0": ("Localized edema", ("Leg edema", "LE edema", "Edema")),
    "R94.31": ("Abnormal electrocardiogram [ECG] [EKG]", ("Abnormal EKG", "Abnormal ECG")),
    "R94.39": ("Abnormal result of other cardiovascular function study", ("Abnormal stress test",)),
    "Z01.810": ("Encounter for preprocedural cardiovascular examination", ("Pre-op cardiac clearance", "Preop clearance")),
    "Z13.6": ("Encounter for screening for cardiovascular disorders", ("CV screening",)),
    "Z95.0": ("Presence of cardiac pacemaker", ("Pacemaker", "Has pacemaker", "PPM in place")),
    "Z95.810": ("Presence of automatic (implantable) cardiac defibrillator", ("ICD in place", "AICD")),
}

# --- orders ------------------------------------------------------------------------------------
# intent -> [(CPT, wordings)], first CPT most common
ORDERS: Final[dict[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "consult": (
        ("99204", ("Cardiology consult", "New patient consultation", "Evaluate and treat", "Cardiology evaluation", "Consult - eval & treat")),
        ("99205", ("Cardiology consultation, comprehensive", "New patient visit - cardiology")),
        ("99203", ("Cardiology office visit", "New patient evaluation")),
        ("99244", ("Outpatient cardiology consultation", "Office consultation")),
        ("99245", ("Cardiology consult - complex",)),
    ),
    "echo_tte": (
        ("93306", ("Transthoracic echocardiogram", "TTE", "2D echo w/ doppler", "Echocardiogram complete", "Echo (TTE) with Doppler", "2D Echo with color flow doppler")),
        ("93307", ("2D echo without doppler", "Echo 2D only")),
        ("93308", ("Limited echo", "Echo, limited/follow-up")),
    ),
    "echo_tee": (("93312", ("Transesophageal echocardiogram", "TEE", "Transesophageal echo")),),
    "stress_echo": (
        ("93350", ("Stress echo", "Exercise stress echocardiogram", "Treadmill stress echo")),
        ("93351", ("Stress echo w/ ECG monitoring", "Dobutamine stress echo", "DSE")),
    ),
    "nuclear_stress": (
        ("78452", ("Nuclear stress test", "Lexiscan myocardial perfusion", "SPECT MPI multiple studies", "Regadenoson nuclear stress test", "Myoview stress test")),
        ("78451", ("SPECT MPI single study", "Nuclear perfusion study")),
        ("78492", ("Cardiac PET perfusion", "PET MPI")),
        ("78431", ("PET/CT myocardial perfusion",)),
    ),
    "exercise_stress": (
        ("93015", ("Treadmill stress test", "Exercise treadmill test", "ETT", "GXT", "Exercise stress ECG (Bruce)")),
        ("93017", ("Exercise stress test, tracing only",)),
    ),
    "cardiac_ct": (
        ("75574", ("Coronary CTA", "CT coronary angiography", "CCTA")),
        ("75571", ("Coronary calcium score", "CT calcium scoring", "CAC score")),
    ),
    "cardiac_mri": (
        ("75561", ("Cardiac MRI with contrast", "CMR w/ gadolinium")),
        ("75557", ("Cardiac MRI without contrast",)),
        ("75563", ("Stress cardiac MRI",)),
    ),
    "rhythm_monitor": (
        ("93224", ("Holter monitor 24h", "24 hour Holter")),
        ("93242", ("Holter 48h", "48 hour Holter monitor")),
        ("93245", ("Zio patch 14 day", "Extended Holter 7-15 days", "Zio XT")),
        ("93268", ("Event monitor 30 day", "30-day event monitor")),
        ("93229", ("MCOT", "Mobile cardiac telemetry")),
    ),
    "cardiac_cath": (
        ("93458", ("Left heart cath w/ coronary angiography", "LHC", "Cardiac catheterization", "Diagnostic coronary angiogram")),
        ("93460", ("Right and left heart cath",)),
        ("93451", ("Right heart cath",)),
    ),
    "electrophysiology": (
        ("93620", ("EP study", "Electrophysiology study")),
        ("93656", ("AFib ablation", "PVI ablation")),
        ("33285", ("Loop recorder implant", "ILR implant", "Implantable loop recorder")),
        ("93653", ("SVT ablation",)),
    ),
    "device_check": (
        ("93288", ("Pacemaker interrogation", "PPM check", "Device check - pacemaker")),
        ("93289", ("ICD interrogation", "ICD check")),
        ("93280", ("Pacemaker programming",)),
        ("93294", ("Remote pacemaker monitoring",)),
    ),
    "vascular_ultrasound": (
        ("93880", ("Carotid duplex", "Carotid ultrasound bilateral", "Carotid doppler")),
        ("93922", ("ABI", "Ankle-brachial index")),
        ("93923", ("ABI with segmental pressures",)),
        ("93970", ("Venous duplex bilateral LE", "Bilateral lower extremity venous doppler")),
    ),
}

# Diagnoses that justify each intent.
INTENT_DX: Final[dict[str, tuple[str, ...]]] = {
    "consult": ("R07.9", "R07.89", "I10", "I25.10", "I48.91", "R00.2", "R06.02", "I50.9", "R01.1", "R55", "E78.5", "I20.9", "R94.31", "I49.3", "Z01.810", "I25.2"),
    "echo_tte": ("R01.1", "I50.9", "R06.02", "I35.0", "I34.0", "I48.91", "R60.0", "I42.9", "I11.0", "I10", "R55", "I27.20", "I50.22", "I50.32", "I36.1", "I51.7"),
    "echo_tee": ("I48.91", "I63.9", "I35.0", "I34.0", "I48.20"),
    "stress_echo": ("R07.9", "I20.9", "R06.02", "I25.10", "R07.89"),
    "nuclear_stress": ("R07.9", "R07.89", "I25.10", "I20.9", "R94.31", "Z01.810", "I25.119"),
    "exercise_stress": ("R07.9", "R00.2", "I20.9", "R94.31", "R07.89"),
    "cardiac_ct": ("R07.89", "I25.10", "E78.5", "Z13.6", "R07.9"),
    "cardiac_mri": ("I42.9", "I42.1", "I42.0", "I25.5", "I51.7"),
    "rhythm_monitor": ("R00.2", "R55", "I48.0", "I49.3", "R00.1", "I49.1", "G45.9", "R00.0"),
    "cardiac_cath": ("I25.10", "I20.0", "I21.4", "R94.39", "I25.119"),
    "electrophysiology": ("I48.0", "I48.11", "I47.10", "I47.20", "R55", "I49.5", "I45.81"),
    "device_check": ("Z95.0", "Z95.810", "I49.5", "I44.2", "R00.1"),
    "vascular_ultrasound": ("I65.23", "I73.9", "G45.9", "R09.89", "I70.213", "I83.90", "R60.0"),
}

# Document intents: realistic bundles and weights (consult and echo_tte common; typical pairs).
INTENT_BUNDLES: Final[tuple[tuple[tuple[str, ...], float], ...]] = (
    (("consult",), 22),
    (("echo_tte",), 10),
    (("consult", "echo_tte"), 14),
    (("consult", "nuclear_stress"), 6),
    (("nuclear_stress",), 4),
    (("rhythm_monitor",), 5),
    (("consult", "rhythm_monitor"), 5),
    (("stress_echo",), 3),
    (("consult", "stress_echo"), 2),
    (("exercise_stress",), 3),
    (("consult", "exercise_stress"), 2),
    (("cardiac_ct",), 3),
    (("consult", "cardiac_ct"), 1),
    (("cardiac_mri",), 2),
    (("echo_tee",), 2),
    (("cardiac_cath",), 2),
    (("consult", "cardiac_cath"), 1),
    (("electrophysiology",), 2),
    (("consult", "electrophysiology"), 2),
    (("device_check",), 4),
    (("vascular_ultrasound",), 3),
    (("consult", "vascular_ultrasound"), 2),
    (("echo_tte", "rhythm_monitor"), 3),
    (("consult", "echo_tte", "rhythm_monitor"), 2),
    (("echo_tte", "vascular_ultrasound"), 1),
    (("echo_tte", "nuclear_stress"), 1),
)

URGENCY_PHRASES: Final[dict[str, tuple[str, ...]]] = {
    "routine": ("Routine", "Routine - next available", "Non-urgent", "Elective", "ROUTINE"),
    "urgent": ("URGENT - within 72 hours", "Urgent", "ASAP", "Expedite - within 1 week", "High priority", "URGENT"),
    "stat": ("STAT", "Same day", "Emergent - today", "STAT - same day"),
}

# --- people and places ------------------------------------------------------------------------
FIRST_NAMES: Final[tuple[str, ...]] = (
    "Maria", "James", "Linda", "Robert", "Patricia", "Michael", "Barbara", "William", "Elizabeth", "David",
    "Jennifer", "Richard", "Susan", "Joseph", "Dorothy", "Thomas", "Margaret", "Charles", "Betty", "Daniel",
    "Nancy", "Matthew", "Sandra", "Anthony", "Carol", "Donald", "Sharon", "Kenneth", "Deborah", "Steven",
    "Shirley", "Paul", "Gloria", "Andrew", "Ruth", "Joshua", "Ana", "Jose", "Luis", "Carmen", "Juan", "Rosa",
    "Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Rajesh", "Anil", "Sunita", "Nguyen", "Minh", "Fatima",
    "Ahmed", "Omar", "Aisha", "Olga", "Dmitri", "Kwame", "Ama", "Tyrone", "Latoya", "DeShawn", "Keisha",
    "Gerald", "Harold", "Evelyn", "Frances", "Raymond", "Walter", "Eugene", "Lillian", "Marjorie", "Alan",
    "Connor", "Siobhan", "Giuseppe", "Francesca", "Hans", "Ingrid", "Leila", "Tariq", "Esperanza", "Ramon",
)
MIDDLE_INITIALS: Final[str] = "ABCDEFGHJKLMNPRSTW"
LAST_NAMES: Final[tuple[str, ...]] = (
    "Gonzalez", "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel",
    "Shah", "Kim", "Park", "Chen", "Wang", "Tanaka", "Yamamoto", "Okafor", "Mensah", "Kowalski", "Novak",
    "Ivanov", "O'Brien", "McCarthy", "Schmidt", "Muller", "Rossi", "Russo", "Haddad", "Khan", "Ali",
    "Whitfield", "Pemberton", "Blackwood", "Delgado", "Vasquez", "Castillo", "Romero", "Fischer",
    "Washington", "Jefferson", "Brooks", "Sanders", "Price", "Bennett", "Wood", "Barnes", "Ross", "Henderson",
    "Coleman", "Jenkins", "Perry", "Powell", "Long", "Patterson", "Hughes", "Butler", "Simmons", "Foster",
    "Van der Berg", "De la Cruz", "St. James",
)
CREDENTIALS: Final[tuple[str, ...]] = ("MD", "DO", "M.D.", "NP", "PA-C", "MD, FACP", "FNP-C", "D.O.")

# (city, state, zip prefix, area codes)
PLACES: Final[tuple[tuple[str, str, str, tuple[str, ...]], ...]] = (
    ("Columbus", "OH", "432", ("614", "380")),
    ("Dayton", "OH", "454", ("937",)),
    ("Cleveland", "OH", "441", ("216", "440")),
    ("Indianapolis", "IN", "462", ("317", "463")),
    ("Louisville", "KY", "402", ("502",)),
    ("Pittsburgh", "PA", "152", ("412", "724")),
    ("Nashville", "TN", "372", ("615", "629")),
    ("Austin", "TX", "787", ("512", "737")),
    ("San Antonio", "TX", "782", ("210", "726")),
    ("Phoenix", "AZ", "850", ("602", "480")),
    ("San Diego", "CA", "921", ("619", "858")),
    ("Sacramento", "CA", "958", ("916", "279")),
    ("Raleigh", "NC", "276", ("919", "984")),
    ("Albany", "NY", "122", ("518",)),
    ("Richmond", "VA", "232", ("804",)),
    ("Denver", "CO", "802", ("303", "720")),
    ("Portland", "OR", "972", ("503", "971")),
    ("Kansas City", "MO", "641", ("816",)),
)
STREETS: Final[tuple[str, ...]] = (
    "Main St", "Oak Ave", "Maple Dr", "Broad St", "High St", "Park Blvd", "Lakeview Rd", "Medical Center Dr",
    "Hospital Way", "Riverside Dr", "Elm St", "Washington Ave", "Cedar Ln", "Professional Pkwy", "Church St",
)
PLACE_WORDS: Final[tuple[str, ...]] = (
    "Riverside", "Oak Ridge", "Lakeview", "Northside", "Westgate", "Cedar Creek", "Pinecrest", "Summit",
    "Valley", "Harbor", "Meadowbrook", "Eastside", "Fairview", "Highland", "Brookside", "Prairie", "Heritage",
)
CLINIC_KINDS: Final[tuple[str, ...]] = (
    "Family Medicine", "Primary Care", "Internal Medicine Associates", "Health Center", "Medical Group",
    "Family Practice", "Community Health Center", "Physicians Group", "Adult Medicine", "Family Health",
)
HOSPITAL_NAMES: Final[tuple[str, ...]] = (
    "St. Mary's Medical Center", "Mercy Hospital", "Good Samaritan Hospital", "University Hospital",
    "Memorial Regional Medical Center", "Methodist Hospital", "Baptist Health", "Providence Medical Center",
    "Sacred Heart Hospital", "County General Hospital",
)
CARDIOLOGY_PRACTICES: Final[tuple[str, ...]] = (
    "Heartland Cardiology Associates", "Heartland Cardiology - Scheduling", "Heartland Heart & Vascular",
    "Heartland Cardiology Intake",
)

# --- labels (what each source calls a field) --------------------------------------------------
LABELS: Final[dict[str, tuple[str, ...]]] = {
    "name": ("Patient Name", "Patient", "Name", "Pt Name", "Patient Name (Last, First)", "PATIENT"),
    "dob": ("DOB", "Date of Birth", "D.O.B.", "Birth Date", "DOB"),
    "phone": ("Phone", "Home Phone", "Tel", "Pt Phone", "Contact #", "Cell"),
    "mrn": ("MRN", "Medical Record #", "Chart #", "Acct #", "Patient ID", "MR#"),
    "payer": ("Insurance", "Primary Insurance", "Payer", "Insurance Carrier", "Health Plan", "Ins"),
    "member_id": ("Member ID", "Subscriber #", "Ins ID", "Policy No.", "ID #", "Member #", "Policy #", "Subscriber ID"),
    "group": ("Group #", "Group No.", "Grp", "Group Number", "Group"),
    "icd": ("ICD-10", "ICD10", "Dx Code", "Diagnosis Code", "ICD"),
    "dx": ("Diagnosis", "Dx", "Reason for Referral", "Indication", "Clinical Indication"),
    "cpt": ("CPT", "CPT Code", "Proc Code", "CPT/HCPCS"),
    "proc": ("Service Requested", "Procedure", "Order", "Requested Service", "Test Requested", "Exam"),
    "provider": ("Referring Provider", "Referring Physician", "Ordering Provider", "Referred by", "Physician"),
    "npi": ("NPI", "NPI #", "Provider NPI", "NPI No."),
    "fax": ("Fax", "Office Fax", "Fax #", "Return Fax"),
    "urgency": ("Priority", "Urgency", "Scheduling Priority", "Status"),
    "date": ("Date", "Referral Date", "Date of Referral", "Order Date", "Date Ordered"),
    "sex": ("Sex", "Gender"),
    "address": ("Address", "Pt Address", "Home Address"),
}
