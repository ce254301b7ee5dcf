"""The official indicators (K1 … K12: 建制村快递服务覆盖率, 直投到村率, 送达时效 …) of a county plan, and the province
upload tables; computed from the coverage, siting and routing results, written by :mod:`culture_logistics.reports`."""
