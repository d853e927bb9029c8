-- ISO 4217 minor units: an amount has as many decimals as its currency (JPY none,
-- USD 2, KWD/BHD/OMR/JOD/TND 3, CLF/UYW 4). SQLite keeps money as exact TEXT, which
-- holds "10.505" as it is: no column changes. (The PostgreSQL folder of this version
-- widens NUMERIC(20,2) to NUMERIC(22,4); both backends hold the same versions.)
SELECT 1;
